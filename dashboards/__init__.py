"""The stakeholder dashboard: a Dash app that reads the marts only."""
