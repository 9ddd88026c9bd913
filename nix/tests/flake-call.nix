# flake.nix's `outputs` called the way Nix calls them, `flake.outputs (inputs // { self = result; })` (Nix
# src/libflake/call-flake.nix), with STAND-IN inputs (stand-ins/: a small nixpkgs lib, fake packages and
# derivations, fake crane and rust-overlay). Nothing can be built from the result; flake-outputs.nix checks it,
# and nix/tests reads single derivations' arguments from it.
let
  flake = import ../../flake.nix;
  lock = builtins.fromJSON (builtins.readFile ../../flake.lock);
  standIns = {
    nixpkgs = {
      outPath = ./stand-ins/nixpkgs;
      lib = import ./stand-ins/lib.nix;
    };
    crane = import ./stand-ins/crane.nix;
    rust-overlay = import ./stand-ins/rust-overlay.nix;
  };
  inputs = builtins.mapAttrs (
    name: _: standIns.${name} or (throw "flake-call.nix: no stand-in for the input ${name}")
  ) lock.nodes.${lock.root}.inputs;
  outputs = flake.outputs (inputs // { self = result; });
  result = outputs // {
    outPath = ../..;
    inherit inputs outputs;
    _type = "flake";
  };
in
{
  inherit flake inputs outputs standIns;
}
