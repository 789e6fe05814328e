"""Attachments: what a file is, found by reading its content (never its name or the type the
browser declared), and where it is kept.

Accepted: PDF (parsed with pypdf, without JavaScript), office documents (OOXML docx/xlsx/pptx,
OpenDocument odt/ods/odp: a zip whose manifest says so) and images (PNG, JPEG, WebP decoded
with Pillow). Anything else, or anything that claims one of these and does not hold up, is
refused with a French message saying why."""
from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app


class Refused(Exception):
    """The file is not accepted; ``str(exc)`` is the French reason."""


@dataclass(frozen=True)
class FileType:
    media_type: str
    extension: str
    label: str


PDF = FileType("application/pdf", "pdf", "PDF")
PNG = FileType("image/png", "png", "image PNG")
JPEG = FileType("image/jpeg", "jpg", "image JPEG")
WEBP = FileType("image/webp", "webp", "image WebP")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "docx", "document Word")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx", "classeur Excel")
PPTX = FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation",
                "pptx", "présentation PowerPoint")
ODT = FileType("application/vnd.oasis.opendocument.text", "odt", "texte OpenDocument")
ODS = FileType("application/vnd.oasis.opendocument.spreadsheet", "ods",
               "classeur OpenDocument")
ODP = FileType("application/vnd.oasis.opendocument.presentation", "odp",
               "présentation OpenDocument")

#: OOXML: the part that makes a zip a document of that kind.
OOXML_PARTS = {"word/document.xml": DOCX, "xl/workbook.xml": XLSX,
               "ppt/presentation.xml": PPTX}
ODF_TYPES = {t.media_type: t for t in (ODT, ODS, ODP)}
#: Office documents are small once unpacked; more than this is a zip bomb, not a guide.
MAX_UNPACKED = 200 * 1024 * 1024

ACCEPTED = "PDF, Word, Excel, PowerPoint, OpenDocument (texte, classeur, présentation), " \
    "images PNG, JPEG ou WebP"

#: What browsers sniff as a web page or script: a file starting like this is never served.
_MARKUP = re.compile(rb"<\s*(!doctype\s+html|html|head|body|script|iframe|svg|object|embed)\b"
                     rb"|<\?xml", re.IGNORECASE)


def check(data: bytes) -> FileType:
    """The checked type of ``data``, or ``Refused`` with the reason."""
    if not data:
        raise Refused("Le fichier est vide.")
    head = data[:1024]
    if data.startswith(b"%PDF-"):
        return _check_pdf(data)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _check_image(data, PNG, "PNG")
    if data.startswith(b"\xff\xd8\xff"):
        return _check_image(data, JPEG, "JPEG")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _check_image(data, WEBP, "WEBP")
    if data.startswith(b"PK\x03\x04"):
        return _check_zip(data)
    if _MARKUP.search(head.lstrip(b"\xef\xbb\xbf \t\r\n")[:512]) or b"<script" in data.lower():
        raise Refused("Ce fichier contient une page web ou un script, pas un document : "
                      "il est refusé, quel que soit son nom.")
    raise Refused(f"Ce type de fichier n'est pas accepté. Fichiers acceptés : {ACCEPTED}.")


def _check_pdf(data: bytes) -> FileType:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    lowered = data.lower()
    if b"<script" in lowered or b"<html" in lowered:
        raise Refused("Ce fichier se présente comme un PDF mais contient une page web ou un "
                      "script : il est refusé.")
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        if reader.is_encrypted:
            raise Refused("Ce PDF est protégé par un mot de passe : enregistrez-le sans "
                          "protection avant de le déposer.")
        pages = len(reader.pages)
        root = reader.trailer["/Root"]
        javascript = "/OpenAction" in root and "/JS" in str(root["/OpenAction"])
        names = root.get("/Names")
        if names is not None and "/JavaScript" in names.get_object():
            javascript = True
    except Refused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError):
        raise Refused("Ce PDF est endommagé ou incomplet : il ne peut pas être lu. "
                      "Enregistrez-le à nouveau depuis votre logiciel.") from None
    if javascript or b"/javascript" in lowered:
        raise Refused("Ce PDF contient du JavaScript : il est refusé. Enregistrez-le à nouveau "
                      "sans script (« Imprimer en PDF » par exemple).")
    if pages == 0:
        raise Refused("Ce PDF n'a aucune page.")
    return PDF


def _check_image(data: bytes, kind: FileType, pil_format: str) -> FileType:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != pil_format:
                raise Refused("Le contenu de cette image ne correspond pas à son format.")
            image.load()  # decodes every pixel: a truncated or corrupt image fails here
    except Refused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError):
        raise Refused("Cette image est endommagée ou ne peut pas être lue.") from None
    return kind


def _check_zip(data: bytes) -> FileType:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = {i.filename for i in infos}
            if sum(i.file_size for i in infos) > MAX_UNPACKED:
                raise Refused("Ce document est anormalement volumineux une fois décompressé : "
                              "il est refusé.")
            if "mimetype" in names:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                if declared in ODF_TYPES and "content.xml" in names:
                    return ODF_TYPES[declared]
            if "[Content_Types].xml" in names:
                for part, kind in OOXML_PARTS.items():
                    if part in names:
                        archive.read(part)  # decompresses: a damaged part fails here
                        return kind
    except Refused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, KeyError,
            EOFError, NotImplementedError):
        raise Refused("Ce document est endommagé ou incomplet : il ne peut pas être lu.") from None
    raise Refused("Les archives (fichiers zip) ne sont pas acceptées : déposez les documents "
                  "un par un.")


# --- names --------------------------------------------------------------------------------

def safe_filename(name: str, kind: FileType) -> str:
    """The name a download gets: the uploaded name without path, control characters or
    surrounding dots, at most 150 characters, with the extension of the checked type."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and c not in '"<>:|?*')
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = re.sub(r"\s+", " ", stem).strip(" .")[:150] or "document"
    return f"{stem}.{kind.extension}"


def ascii_fallback(name: str) -> str:
    """For the plain ``filename=`` parameter: ASCII letters, digits, dot, dash, underscore."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    folded = re.sub(r"[^A-Za-z0-9._-]+", "_", folded).strip("._") or "document"
    return folded


# --- storage --------------------------------------------------------------------------------

def storage_dir() -> Path:
    configured = current_app.config.get("LIBRARY_STORAGE_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "library"
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(storage_key: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32,64}", storage_key):
        raise ValueError("invalid storage key")
    return storage_dir() / storage_key


def store(data: bytes) -> tuple[str, str]:
    """Write ``data`` under a new random name; returns (storage key, SHA-256)."""
    key = secrets.token_hex(16)
    target = path_of(key)
    temporary = target.with_name(key + ".part")
    with open(temporary, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, target)
    return key, hashlib.sha256(data).hexdigest()


def remove(storage_key: str) -> None:
    path_of(storage_key).unlink(missing_ok=True)
