"""Deployment: the operator command line (cli.py, ops.py), the Docker image (docker/) and Kubernetes (k8s/)."""
