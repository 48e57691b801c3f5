"""Kivy-free image pipeline for the document camera: find the page, correct it, check it."""
