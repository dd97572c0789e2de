"""Reading: a question in, a cited answer (or an abstention that says why) out."""
