"""The release rehearsed in real podman containers, configured exactly as the Helm chart renders it
(scripts/rehearse runs `python -m rehearsal`; docs/testing.md describes what it proves)."""
