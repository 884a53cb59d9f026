"""Widgets and charts: views take DataFrames (or live state) and never touch storage."""
