"""The Lambda functions as the local stack runs them: separate processes, environment, logs."""
