"""The multimodal function library (specs and Arrow implementations).

Functions arrive with the multimodal-functions work; this package imports nothing else
of lakelens (DESIGN.md).
"""
