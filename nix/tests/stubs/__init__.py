"""STUB kind, kubectl, helm, docker and podman for the deploy-kind and kind-down tests: none is the real tool.

Each stub models one real tool at the versions a user gets (nixos-25.11's kind, kubectl and Helm 3.19; Helm 4;
docker CLI before and after 28.1; podman 5). Every behaviour the scripts rely on (exit codes, which stream a
message goes to, output formats, stopped versus running nodes, caps) cites the tool's source file where it is
modelled. The stubs share one small fake world (world.py): the container engine, the kind clusters with their
node containers and the images inside them, and per cluster the API server's objects and Helm's releases. Helm
renders the chart with Helm's own Go engine (helm-python-sdk), so schema refusals and rendered objects are real.
Only the subcommands the scripts use are modelled; anything else exits 99 with "unmodelled".
"""
