# Evaluated by scripts/check-nix: flake.lock is a version-7 lock and every input node carries a full
# commit rev, an SRI sha256 narHash and an integer lastModified (what `nix flake lock` writes).
let
  lock = builtins.fromJSON (builtins.readFile ../flake.lock);
  inputs = builtins.removeAttrs lock.nodes [ lock.root ];
  complete =
    name:
    let
      l = inputs.${name}.locked or { };
    in
    l ? rev
    && builtins.match "[0-9a-f]{40}" l.rev != null
    && l ? narHash
    && builtins.match "sha256-[A-Za-z0-9+/]{43}=" l.narHash != null
    && l ? lastModified
    && builtins.isInt l.lastModified;
  incomplete = builtins.filter (name: !complete name) (builtins.attrNames inputs);
in
if lock.version != 7 then
  throw "flake.lock version ${toString lock.version}, expected 7"
else if incomplete != [ ] then
  throw "flake.lock: incompletely locked: ${toString incomplete}"
else
  builtins.attrNames inputs
