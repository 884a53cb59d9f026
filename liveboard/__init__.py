"""liveboard: analytics for TikTok Shop LIVE sessions."""
