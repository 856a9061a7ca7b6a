"""Case indexing: idempotent, incremental, resumable, PII never stored (real Chroma in
tmp_path, the real embedding model)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools.cases.embedding import CaseEmbeddingFunction, load_model
from tools.cases.indexer import index_cases
from tools.cases.records import CaseRecord
from tools.cases.store import open_store
from tools.errors import CaseIndexError
from tools.settings import load_settings


@pytest.fixture(scope="session")
def embedding_model():
    """The real offline model, loaded once per test process (tools.cases caches it)."""
    return load_model()


def _records(n: int, *, offset: int = 0) -> list[CaseRecord]:
    out = []
    for i in range(offset, offset + n):
        pii = [
            "，我电话13812345678",
            "，邮箱zhangwei88@163.com",
            "，身份证号11010519491231002X",
            "，退款退到这张卡6222020200112233446",
            "，地址：上海市浦东新区张江路123号4栋301室",
        ][i % 5]
        out.append(
            CaseRecord(
                case_id=f"T{i:05d}",
                text=f"热水器用了{i % 7 + 1}天就不出热水了{pii}",
                resolution=f"更换温控阀，已回电13912345678，案例{i}",
                metadata={
                    "region": ["east", "north"][i % 2],
                    "product_line": "water_heater",
                    "status": "resolved",
                    "resolved": True,
                    "created_day": 20260610,
                },
            )
        )
    return out


@pytest.fixture()
def store(tmp_path: Path, embedding_model):
    settings = load_settings(data_dir=tmp_path, chroma_dir=tmp_path / "chroma")
    return open_store("test-cases", settings=settings, create=True)


def test_reindexing_adds_nothing(store) -> None:
    first = index_cases(store, _records(40), batch_size=16)
    assert (first.added, first.unchanged, first.total) == (40, 0, 40)
    revision = store.revision
    again = index_cases(store, _records(40), batch_size=16)
    assert (again.added, again.updated, again.metadata_only, again.unchanged) == (0, 0, 0, 40)
    assert again.total == 40
    assert store.revision == revision  # nothing changed: the lexical cache stays valid


def test_incremental_changes(store) -> None:
    index_cases(store, _records(20), batch_size=8)
    changed = _records(20)
    changed[0] = CaseRecord("T00000", "洗衣机脱水时噪音很大", None, changed[0].metadata)
    changed[1] = CaseRecord(
        "T00001",
        changed[1].text,
        changed[1].resolution,
        {**changed[1].metadata, "status": "closed"},
    )
    report = index_cases(store, changed + _records(5, offset=20), batch_size=8)
    assert (report.added, report.updated, report.metadata_only, report.unchanged) == (5, 1, 1, 18)
    got = store.collection.get(ids=["T00000", "T00001"], include=["documents", "metadatas"])
    by_id = dict(zip(got["ids"], zip(got["documents"], got["metadatas"], strict=True), strict=True))
    assert by_id["T00000"][0] == "洗衣机脱水时噪音很大"
    assert by_id["T00001"][1]["status"] == "closed"


def test_crash_mid_index_resumes_without_duplicates(store) -> None:
    records = _records(50)

    def crash(batch_no: int) -> None:
        if batch_no == 3:
            raise KeyboardInterrupt("simulated crash")

    with pytest.raises(KeyboardInterrupt):
        index_cases(store, records, batch_size=10, on_batch=crash)
    done = store.count()
    assert 0 < done < 50
    resumed = index_cases(store, records, batch_size=10)
    assert resumed.unchanged == done
    assert resumed.added == 50 - done
    ids = store.collection.get(include=[])["ids"]
    assert len(ids) == len(set(ids)) == 50


def test_pii_never_reaches_chroma(store) -> None:
    index_cases(store, _records(25), batch_size=10)
    got = store.collection.get(include=["documents", "metadatas"])
    stored = (
        " ".join(got["documents"])
        + " "
        + " ".join(f"{k}={v}" for m in got["metadatas"] for k, v in m.items())
    )
    for secret in (
        "13812345678",
        "13912345678",
        "zhangwei88",
        "163.com",
        "11010519491231002X",
        "6222020200112233446",
        "张江路123号",
    ):
        assert secret not in stored
    assert "[PHONE]" in stored and "[EMAIL]" in stored and "[ID_CARD]" in stored
    assert "[BANK_CARD]" in stored and "[ADDRESS]" in stored
    readable = " ".join(got["documents"]) + " ".join(
        str(v) for m in got["metadatas"] for k, v in m.items() if not k.endswith("_hash")
    )
    assert not re.search(r"1[3-9]\d{9}|@", readable)


def test_collection_reopens_with_its_registered_embedding_function(store) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    index_cases(store, _records(3))
    client = chromadb.PersistentClient(
        path=str(store.target.path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    reopened = client.get_collection(store.name)  # no embedding function passed
    ef = reopened.configuration["embedding_function"]  # rebuilt from the persisted config
    assert isinstance(ef, CaseEmbeddingFunction)
    assert ef.get_config()["model_dir"] == str(store.model_dir)
    # Query by text: Chroma embeds with the registered function (the default would download).
    hits = reopened.query(query_texts=["热水器不出热水"], n_results=1)
    assert hits["ids"][0][0].startswith("T")


def test_missing_collection_error_names_it_and_says_how_to_build(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, chroma_dir=tmp_path / "chroma")
    open_store("cases-east", settings=settings, create=True)
    with pytest.raises(CaseIndexError) as err:
        open_store("cases-eats", settings=settings)
    message = str(err.value)
    assert "'cases-eats' does not exist" in message
    assert "Did you mean 'cases-east'?" in message
    assert "servicepilot cases index --from-warehouse --collection cases-eats" in message
