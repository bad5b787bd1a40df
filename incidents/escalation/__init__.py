"""Escalation: policies by tier × severity, snapshots, steps, targets and breaches."""
