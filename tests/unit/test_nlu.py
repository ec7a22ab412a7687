"""bot/nlu without a trained model: text normalisation and the language guess
(bot/nlu/text.py), and the custom Rasa components that need no training
(bot/nlu/components.py) run on Rasa's own Message objects."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.components import ChineseNormalizer, SpacyRuleEntityExtractor
from bot.nlu.text import guess_language, normalize_text


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("我的快遞在哪裏", "我的快递在哪里"),  # Traditional -> Simplified
        ("ＳＦ１４０２３４５６７８９０１", "SF1402345678901"),  # full-width -> half-width
        ("Ｈｅｌｌｏ，ｗｏｒｌｄ！", "Hello,world!"),
        ("  你好 \t\n  世界 ", "你好 世界"),  # whitespace collapsed and trimmed
        ("where is SF1402345678901", "where is SF1402345678901"),  # ASCII unchanged
        ("", ""),
    ],
)
def test_normalize_text(text: str, normal: str) -> None:
    assert normalize_text(text) == normal


@pytest.mark.parametrize(
    ("text", "default", "language"),
    [
        ("你好", "en", "zh"),  # any Chinese character
        ("where is my parcel", "zh", "en"),  # two English words
        ("hello", "zh", "en"),  # one unmistakably English word
        ("ok", "zh", "zh"),  # one short word says nothing: the conversation's language
        ("ok", "en", "en"),
        ("SF1402345678901", "zh", "zh"),  # a bare tracking number keeps the language
        ("SF1402345678901", "en", "en"),
        ("13812345678", "en", "en"),
        ("<b>ok</b>", "zh", "zh"),  # markup is not words
    ],
)
def test_guess_language(text: str, default: str, language: str) -> None:
    assert guess_language(text, default=default) == language


def test_the_normalizer_rewrites_messages_but_not_annotated_training_examples() -> None:
    normalizer = ChineseNormalizer()
    message = Message(data={"text": "我的包裹ＳＦ１４０２３４５６７８９０１在哪裏"})
    assert normalizer.process([message]) == [message]
    assert message.get("text") == "我的包裹SF1402345678901在哪里"
    plain = Message(data={"text": "快遞到哪裏了", "intent": "ask_delay"})
    # An annotated example keeps its text: its entity offsets point into it.
    annotated = Message(
        data={
            "text": "快遞 SF1402345678901",
            "intent": "track_parcel",
            "entities": [{"entity": "tracking_number", "start": 3, "end": 18, "value": "SF1402345678901"}],
        }
    )
    normalizer.process_training_data(TrainingData([plain, annotated]))
    assert plain.get("text") == "快递到哪里了"
    assert annotated.get("text") == "快遞 SF1402345678901"


def test_rule_entities_replace_the_statistical_guesses_of_the_same_kind() -> None:
    text = "单号SF1402345678901，手机尾号5678"
    message = Message(
        data={
            "text": text,
            "entities": [
                # A partial guess of the statistical extractor: replaced by the rule's span.
                {"entity": "tracking_number", "start": 2, "end": 6, "value": "SF14", "extractor": "DIETClassifier"},
                {"entity": "time_window", "start": 0, "end": 2, "value": "单号", "extractor": "DIETClassifier"},
            ],
        }
    )
    SpacyRuleEntityExtractor().process([message])
    entities = message.get("entities")
    assert [(e["entity"], e["value"], e.get("extractor")) for e in entities] == [
        ("time_window", "单号", "DIETClassifier"),  # other entities are kept
        ("tracking_number", "SF1402345678901", "SpacyRuleEntityExtractor"),
        ("phone_last4", "5678", "SpacyRuleEntityExtractor"),
    ]
    for entity in entities:
        assert text[entity["start"] : entity["end"]] == entity["value"]


def test_a_last4_answer_inside_a_tracking_number_is_not_an_entity() -> None:
    message = Message(data={"text": "中通 7391 0284 7561 02"})
    SpacyRuleEntityExtractor().process([message])
    assert [e["entity"] for e in message.get("entities")] == ["tracking_number"]


def test_empty_messages_are_left_alone() -> None:
    message = Message(data={"text": ""})
    SpacyRuleEntityExtractor().process([message])
    assert message.get("entities") is None
