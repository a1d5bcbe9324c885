"""The QF formula: a per-grid setting, since some communes weight the parts their own way. A tiny arithmetic
language over rfr and parts (+ - * / and brackets) rather than eval(): an agent types it in the admin."""

import functools
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy

from pricing.errors import FormulaError
from pricing.words import _

QF_FORMULA_DEFAULT = "rfr/12/parts"


class Formula:
    VARIABLES = {"rfr": gettext_lazy("revenu fiscal de référence"), "parts": gettext_lazy("nombre de parts")}
    _TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([a-z_]+)|(.))")

    def __init__(self, text: str, tokens: tuple[str, ...]):
        self.text = text
        self.tokens = tokens

    @classmethod
    def parse(cls, text: str) -> "Formula":
        """The formula `text` says, or a FormulaError in French. Read once per text: every quote of a grid reads
        the grid's formula (a set-based job, tens of thousands of times); an error is worded each time, in the
        language of the moment."""
        return _read_once(text)

    @classmethod
    def _read(cls, text: str) -> "Formula":
        example = _(
            "par exemple « rfr/12/parts » (variables : rfr et parts ; opérations + - * / et parenthèses)"
        )
        shown = text[:100]
        normalized = re.sub(r"\s+", "", text.lower()).replace(",", ".")
        if not normalized or len(normalized) > 100:
            raise FormulaError(
                _("Formule de QF inconnue : « %(text)s » ; %(example)s.")
                % {"text": shown, "example": example}
            )
        tokens = []
        for number, name, other in cls._TOKEN.findall(normalized):
            if name and name not in cls.VARIABLES:
                raise FormulaError(
                    _(
                        "Formule de QF inconnue : « %(text)s » (« %(name)s » n'est pas une variable connue) ; %(example)s."
                    )
                    % {"text": shown, "name": name, "example": example}
                )
            if other and other not in "+-*/()":
                raise FormulaError(
                    _("Formule de QF inconnue : « %(text)s » ; %(example)s.")
                    % {"text": shown, "example": example}
                )
            tokens.append(number or name or other)
        formula = cls(normalized, tuple(tokens))  # shared by every reader of the text: never changed
        if "rfr" not in tokens:
            raise FormulaError(
                _("Formule de QF inconnue : « %(text)s » ; elle doit utiliser rfr, %(example)s.")
                % {"text": shown, "example": example}
            )
        try:
            formula.evaluate(rfr=Decimal(1), parts=Decimal(1))
        except ZeroDivisionError:
            pass  # "rfr/(parts-1)" reads fine; quote() says so if the household's figures divide by zero
        except (ValueError, InvalidOperation) as error:
            raise FormulaError(
                _("Formule de QF illisible : « %(text)s » ; %(example)s.")
                % {"text": shown, "example": example}
            ) from error
        return formula

    def evaluate(self, **values: Decimal) -> Decimal:
        """Recursive descent over the tokens; ValueError on a syntax error, ZeroDivisionError once the whole
        formula is read (so a division by zero never hides a syntax error)."""
        position = 0
        divided_by_zero = False

        def peek():
            return self.tokens[position] if position < len(self.tokens) else None

        def take():
            nonlocal position
            token = peek()
            if token is None:
                raise ValueError("unexpected end")
            position += 1
            return token

        def expression():
            value = term()
            while peek() in ("+", "-"):
                value = value + term() if take() == "+" else value - term()
            return value

        def term():
            nonlocal divided_by_zero
            value = factor()
            while peek() in ("*", "/"):
                if take() == "*":
                    value = value * factor()
                else:
                    divisor = factor()
                    if divisor == 0:
                        divided_by_zero = True
                        divisor = Decimal(1)
                    value = value / divisor
            return value

        def factor():
            token = take()
            if token == "-":
                return -factor()
            if token == "(":
                value = expression()
                if take() != ")":
                    raise ValueError("missing )")
                return value
            if token in self.VARIABLES:
                return values[token]
            if token[0].isdigit():
                return Decimal(token)
            raise ValueError(token)

        result = expression()
        if position != len(self.tokens):
            raise ValueError("trailing tokens")
        if divided_by_zero:
            raise ZeroDivisionError
        return result

    def render(self, **values: str) -> str:
        """The formula with words or numbers in place of the variables: "28000 € ÷ 12 ÷ 2,5"."""
        symbols = {"/": " ÷ ", "*": " × ", "+": " + ", "-": " − "}
        text = "".join(
            values[token] if token in self.VARIABLES else symbols.get(token, _num_text(token))
            for token in self.tokens
        )
        return text.strip()


def _num_text(token: str) -> str:
    return token.replace(".", ",") if token[0].isdigit() else token


@functools.lru_cache(maxsize=128)  # exceptions are not cached
def _read_once(text: str) -> Formula:
    return Formula._read(text)
