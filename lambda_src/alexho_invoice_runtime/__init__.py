"""Runtime code of AlexHo Invoice Realtime: the Lambda handlers, the event contract and the
definitions (table keys, environment variable names) shared with the CDK construct."""
