"""The example medical-billing application."""
