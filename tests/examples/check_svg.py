"""Parses an SVG written by the LeNet example's curves_svg with Python's XML parser (any
malformed markup raises) and prints what the C++ test checks, one fact per line:

    root svg
    series train loss polylines=1 points=10 circles=10
    points-of train loss 64.00,20.00 119.11,56.00 ...
    legend train loss
    ...
Usage: check_svg.py FILE. Exit code 1 (with the parser's message) if the file is not well-formed.
"""
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def main(path):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        print(f"not well-formed: {e}")
        return 1
    print("root", root.tag.replace(NS, ""))
    for g in root.iter(NS + "g"):
        gid = g.get("id", "")
        if gid.startswith("series-"):
            lines = g.findall(NS + "polyline")
            points = sum(len(p.get("points").split()) for p in lines)
            circles = len(g.findall(NS + "circle"))
            print(f"series {g.get('data-name')} polylines={len(lines)} points={points} circles={circles}")
            print(f"points-of {g.get('data-name')}", " ".join(" ".join(p.get("points").split()) for p in lines))
        elif gid == "legend":
            for t in g.findall(NS + "text"):
                print("legend", t.text)
        elif gid == "tick-labels":
            print("ticks", " ".join(t.text for t in g.findall(NS + "text")))
    for t in root.iter(NS + "text"):
        if t.get("id") == "xlabel":
            print("xlabel", t.text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
