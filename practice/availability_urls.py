"""Practitioners' weekly hours and days off, and the practice's booking settings."""
urlpatterns = []
