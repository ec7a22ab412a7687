"""Custom Rasa 3 graph components, listed in config.yml.

LogisticsJiebaTokenizer is Rasa's JiebaTokenizer without whitespace tokens.
ChineseNormalizer runs before the tokenizer: Traditional Chinese becomes
Simplified and full-width characters half-width, so one model serves both.
SpacyRuleEntityExtractor adds `tracking_number` entities (every carrier format,
spaces and dashes allowed; the value is the number as written, actions normalise
it) and `phone_last4` (verification answers, found by the spaCy rules); it
replaces any overlapping guess of the statistical extractor.
SignalReader adds the customer's feeling and any urgent need (bot/signals.py) to every
parse result under `signals`, for the actions and the evaluation.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import signals
from bot.nlu.spacy_rules import find_personal_data
from bot.nlu.text import normalize_text
from bot.store.tracking_numbers import find_tracking_numbers


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class ChineseNormalizer(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ChineseNormalizer:
        return cls()

    def _normalize(self, message: Message) -> None:
        text = message.get(TEXT)
        if text:
            message.set(TEXT, normalize_text(text))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            # Annotated examples keep their text: entity offsets point into it.
            if not message.get(ENTITIES):
                self._normalize(message)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._normalize(message)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class LogisticsJiebaTokenizer(JiebaTokenizer):
    """Rasa's JiebaTokenizer (with the logistics dictionary) minus whitespace tokens:
    jieba returns spaces as words, which blurs English messages and makes entity
    spans end in a space."""

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        return [token for token in super().tokenize(message, attribute) if token.text.strip()]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class SpacyRuleEntityExtractor(GraphComponent, EntityExtractorMixin):
    RULE_ENTITIES = ("tracking_number", "phone_last4")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SpacyRuleEntityExtractor:
        return cls()

    @staticmethod
    def _rule_entities(text: str) -> list[dict[str, Any]]:
        entities: list[dict[str, Any]] = []
        for found in find_tracking_numbers(text):
            entities.append(
                {
                    "entity": "tracking_number",
                    "start": found.start,
                    "end": found.end,
                    "value": found.text,
                    "confidence": 1.0,
                }
            )
        taken = [(e["start"], e["end"]) for e in entities]
        for match in find_personal_data(text):
            if match.label != "PHONE_LAST4":
                continue
            if any(s < match.end and match.start < e for s, e in taken):
                continue
            entities.append(
                {
                    "entity": "phone_last4",
                    "start": match.start,
                    "end": match.end,
                    "value": match.text,
                    "confidence": 1.0,
                }
            )
        return entities

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text: str | None = message.get(TEXT)
            if not text:
                continue
            rule_entities = self.add_extractor_name(self._rule_entities(text))
            kept = [e for e in message.get(ENTITIES, []) if e.get("entity") not in self.RULE_ENTITIES]
            entities = sorted(kept + rule_entities, key=lambda e: (e.get("start", 0), e.get("end", 0)))
            message.set(ENTITIES, entities, add_to_output=True)
        return messages


SIGNALS = "signals"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SignalReader(GraphComponent):
    """Feeling and urgency of every message (`signals` in the parse result); no features."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SignalReader:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                message.set(SIGNALS, signals.read(text).to_dict(), add_to_output=True)
        return messages
