"""The cold-start floor: Powertools' resolver, a boto3 client and one GetItem, nothing of ours."""

import os
from typing import Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

client = boto3.client("dynamodb")
app = APIGatewayRestResolver()


@app.get("/iam/signing-keys/<key_id>")
def get_key(key_id: str) -> dict[str, Any]:
    key = {"PK": {"S": f"KEY#{key_id}"}, "SK": {"S": "KEY"}}
    return {"found": "Item" in client.get_item(TableName=os.environ["TABLE_NAME"], Key=key)}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
