"""Business reports (HTML, PDF, Excel) rendered from one `ReportContent`; no SQL, no Streamlit."""
