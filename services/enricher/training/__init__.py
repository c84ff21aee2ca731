"""Training of the enricher's sequence models (not imported by the pipeline at run time)."""
