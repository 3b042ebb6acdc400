"""The plan and profile data: enums, errors, plan models, profile schema and rule traits."""
