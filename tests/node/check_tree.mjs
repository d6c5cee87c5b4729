// Loads a results file's tree dump with @openzeppelin/merkle-tree and checks that its root is
// the results file's root and that every position's proof verifies for its leaf.
// Usage: node tests/node/check_tree.mjs results.json   (prints "ok N proofs, root 0x...")
import { readFileSync } from "node:fs";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

const results = JSON.parse(readFileSync(process.argv[2], "utf8"));
const tree = StandardMerkleTree.load(results.tree);
tree.validate();
if (tree.root !== results.root) {
  console.error(`root ${tree.root} differs from the results file's ${results.root}`);
  process.exit(1);
}
let checked = 0;
for (const [i, value] of tree.entries()) {
  const position = results.positions.find(
    (p) => p.account.toLowerCase() === String(value[1]).toLowerCase() && p.model_id === value[2],
  );
  if (!position) {
    console.error(`leaf ${i} belongs to no position of the results file`);
    process.exit(1);
  }
  const leaf = [value[0], value[1], value[2], position.stake, position.reward, position.burn,
    position.predictions_hash];
  if (tree.leafHash(leaf) !== position.leaf) {
    console.error(`leaf hash of position ${position.account} ${position.model_id} differs`);
    process.exit(1);
  }
  if (!StandardMerkleTree.verify(tree.root, results.tree.leafEncoding, leaf, position.proof)) {
    console.error(`the proof of position ${position.account} ${position.model_id} fails`);
    process.exit(1);
  }
  checked += 1;
}
if (checked !== results.positions.length) {
  console.error(`${checked} leaves for ${results.positions.length} positions`);
  process.exit(1);
}
console.log(`ok ${checked} proofs, root ${tree.root}`);
