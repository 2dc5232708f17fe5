"""The review meeting: the review store (reviews), retro notes (notes) and the pack (report)."""
