# `checks.<system>.k3s` and `checks.<system>.k3s-two-node`: this build's three images and the Helm chart on a
# real Kubernetes (k3s) inside NixOS VMs, offline, checked the way a user and an operator would
# (pkgs.testers.runNixOSTest; the script is driver.py, the user is journey.py). Needs KVM; see docs/nix.md.
#
# Written against nixpkgs' own k3s tests and module (nixos-25.11): nixos/tests/k3s/airgap-images.nix (images
# imported offline through services.k3s.images, k3s.airgap-images for k3s's own), auto-deploy-charts.nix
# (dockerTools images referenced by imageName/imageTag), multi-node.nix (fixed eth1 addresses, --node-ip,
# a token file, the flannel firewall openings) and single-node.nix; the module
# nixos/modules/services/cluster/k3s links each `images` entry into /var/lib/rancher/k3s/agent/images.
{
  pkgs,
  # nix/images.nix: todo-backend, todo-frontend, todo-postgres (dockerTools archives with imageName/imageTag).
  images,
}:
let
  inherit (pkgs) lib;
  helpers = import ../lib.nix;
  k3s = pkgs.k3s;

  appImages = [
    images.todo-backend
    images.todo-frontend
    images.todo-postgres
  ];

  # The chart as `nix run .#deploy-kind` installs it (values-kind.yaml and values-k3s.yaml inside).
  chart = lib.fileset.toSource {
    root = ../../helm-chart;
    fileset = lib.fileset.difference ../../helm-chart ../../helm-chart/tests;
  };

  imageValues = pkgs.writeText "todo-chatbot-image-values.json" (
    builtins.toJSON (
      helpers.chartImageValues {
        backend = images.todo-backend;
        frontend = images.todo-frontend;
        postgres = images.todo-postgres;
      }
    )
  );

  # The user inside the VM; flake8 checks it at build time (long lines allowed).
  journey = pkgs.writers.writePython3Bin "todo-journey" { flakeIgnore = [ "E501" ]; } (
    builtins.readFile ./journey.py
  );

  config = pkgs.writeText "todo-chatbot-k3s-test.json" (
    builtins.toJSON {
      release = "todo";
      namespace = "todo";
      chart = "${chart}";
      values = [
        "${chart}/values-kind.yaml"
        "${chart}/values-k3s.yaml"
        "${imageValues}"
      ];
      images = map helpers.containerdReference appImages;
      journey = "${journey}/bin/todo-journey";
    }
  );

  testScript =
    scenario:
    ''
      CONFIG_FILE = "${config}"
    ''
    + builtins.readFile ./driver.py
    + ''

      ${scenario}
    '';

  # Traefik, ServiceLB and metrics-server are not used by the chart (nixpkgs' tests disable them too);
  # CoreDNS and the local-path provisioner are: the services find each other by name, PostgreSQL claims a volume.
  serverFlags = map (component: "--disable ${component}") [
    "traefik"
    "servicelb"
    "metrics-server"
  ];

  # Every node: k3s with its own airgap images and ours imported at start, and the tools the script calls.
  node =
    { memorySize }:
    {
      # nixpkgs' k3s tests give a node 1.5 GiB and 4 GiB of disk with every bundled component off; here CoreDNS,
      # the local-path provisioner, Helm and the release's pods run as well.
      virtualisation = {
        inherit memorySize;
        cores = 2;
        diskSize = 6144;
      };
      environment.systemPackages = [
        pkgs.kubernetes-helm
        pkgs.jq
        pkgs.curl
        journey
      ];
      services.k3s = {
        enable = true;
        package = k3s;
        images = [ k3s.airgap-images ] ++ appImages;
      };
      # The frontend's NodePort (values-kind.yaml), reached from the other node in the two-node test.
      networking.firewall.allowedTCPPorts = [ 30080 ];
    };

  # multi-node.nix: a fixed address on the test network, and it as the default route, so k3s and flannel use
  # eth1 (eth0 is QEMU's user network, the same address in every VM).
  clusterAddress =
    address:
    { lib, ... }:
    {
      networking.useDHCP = false;
      networking.defaultGateway = address;
      networking.interfaces.eth1.ipv4.addresses = lib.mkForce [
        {
          inherit address;
          prefixLength = 24;
        }
      ];
      networking.firewall.allowedUDPPorts = [ 8472 ];
      networking.firewall.trustedInterfaces = [ "flannel.1" ];
    };
  # A node of the two-node cluster: its k3s `settings` (role, flags), joined with the shared token at `address`.
  clusterNode =
    {
      memorySize,
      address,
      settings,
    }:
    {
      imports = [
        (node { inherit memorySize; })
        (clusterAddress address)
      ];
      services.k3s = settings // {
        inherit tokenFile;
        extraFlags = (settings.extraFlags or [ ]) ++ [ "--node-ip ${address}" ];
      };
      networking.firewall.allowedTCPPorts = if settings.role == "server" then [ 6443 ] else [ ];
    };
  serverAddress = "192.168.1.1";
  agentAddress = "192.168.1.2";
  # A test-only cluster token (multi-node.nix does the same); it never leaves the VMs.
  tokenFile = pkgs.writeText "todo-chatbot-k3s-token" "todo-chatbot-k3s-test-token";
in
{
  k3s = pkgs.testers.runNixOSTest {
    name = "todo-chatbot-k3s";
    nodes.machine = {
      imports = [ (node { memorySize = 3072; }) ];
      services.k3s = {
        role = "server";
        extraFlags = serverFlags;
      };
    };
    testScript = testScript "single_node(machine)";
  };

  k3s-two-node = pkgs.testers.runNixOSTest {
    name = "todo-chatbot-k3s-two-node";
    nodes.server = clusterNode {
      memorySize = 3072;
      address = serverAddress;
      settings = {
        role = "server";
        extraFlags = serverFlags;
      };
    };
    nodes.agent = clusterNode {
      memorySize = 2048;
      address = agentAddress;
      settings = {
        role = "agent";
        serverAddr = "https://${serverAddress}:6443";
      };
    };
    testScript = testScript "two_nodes(server, agent)";
  };
}
