"""Customer analytics: lifetime value, RFM scores and segments, referral statistics."""
