"""Daily settlements per merchant: line items, totals, dues deducted, CSV export."""
