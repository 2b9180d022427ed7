"""Docker-free local runner: serves template.yaml's API over HTTP against an embedded DynamoDB."""
