"""The pure core of registry-why: read a pasted registry error, name its cause, guide the fix.

No network, no Redis, no Slack and no environment variables here: text in, a Diagnosis out.
"""
