"""Transforms a SAM template (JSON on stdin) to plain CloudFormation (JSON on stdout), offline.

The same translator `sam deploy` and cfn-lint use (aws-sam-translator, installed with cfn-lint), called
the way cfn-lint calls it (cfnlint/template/transforms/_sam.py): local CodeUri/ContentUri paths become a
placeholder S3 URI, and no AWS call is made — the region comes from a stub session, managed policy names
from the translator's bundled map (an empty fallback instead of IAM's ListPolicies), parameters from their
defaults.
"""

import json
import logging
import sys

from boto3.session import Session
from samtranslator.parser.parser import Parser
from samtranslator.public.exceptions import InvalidDocumentException
from samtranslator.translator.translator import Translator

logging.getLogger("samtranslator").setLevel(logging.CRITICAL)

PLACEHOLDER = "s3://bucket/value"


def replace_local_uris(template):
    functions = [template.get("Globals", {}).get("Function", {})]
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            continue
        if resource.get("Type") == "AWS::Serverless::Function":
            functions.append(properties)
        if resource.get("Type") == "AWS::Serverless::LayerVersion" and "ContentUri" in properties:
            properties["ContentUri"] = PLACEHOLDER
    for properties in functions:
        if isinstance(properties, dict) and "CodeUri" in properties:
            properties["CodeUri"] = PLACEHOLDER


def main():
    template = json.load(sys.stdin)
    replace_local_uris(template)
    translator = Translator(
        managed_policy_map=None,
        sam_parser=Parser(),
        boto_session=Session(region_name="us-east-1"),
    )
    try:
        transformed = translator.translate(
            sam_template=template,
            parameter_values={},
            get_managed_policy_map=lambda: {},
        )
    except InvalidDocumentException as error:
        for cause in error.causes:
            print(cause.message, file=sys.stderr)
        sys.exit(2)
    json.dump(transformed, sys.stdout)


if __name__ == "__main__":
    main()
