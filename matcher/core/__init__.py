"""The vocabulary, schedules, field rules, validation and file handling every feature shares."""
