"""newsflow's common package: configuration, Celery app, models, DB session, stage contracts."""
