"""The web layer: settings, store lifecycle, pages, API and CLI commands."""
