"""Page models: what each page of the dashboard shows, in one call of the core (issue 13)."""
