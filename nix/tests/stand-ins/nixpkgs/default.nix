# STAND-IN for `import nixpkgs { system; overlays; }`: the fake package set of stand-ins/pkgs.nix with the overlays
# applied in order (each sees the set so far as both final and prev, enough for rust-overlay's stand-in).
{
  system,
  overlays ? [ ],
}:
builtins.foldl' (pkgs: overlay: pkgs // overlay pkgs pkgs) (import ../pkgs.nix { inherit system; }) overlays
