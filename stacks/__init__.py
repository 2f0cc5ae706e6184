"""Composition: environment settings in, one Terraform stack per environment out."""
