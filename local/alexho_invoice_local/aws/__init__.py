"""The AWS backend on loopback: moto, the resources in it, SNS delivery and DynamoDB TTL."""
