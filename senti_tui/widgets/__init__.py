"""Widgets shared by the apps (plots, scatters, palettes); app-specific panes live with their app."""
