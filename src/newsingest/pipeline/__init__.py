"""The stages of ingest(): read, normalise, dedup decision, policy, output, workers."""
