"""Alerts: dead jobs and connectors failing repeatedly, told to a Slack channel or an email."""
