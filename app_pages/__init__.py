"""Streamlit pages: read widgets, call the facade and analytics, draw. No SQL here."""
