from tests.kit import Harness


async def test_start_shows_consent(harness: Harness) -> None:
    anna = harness.user("Анна")
    replies = await anna.send("/start")
    assert len(replies) == 1
    assert "Согласие на обработку персональных данных" in replies[0].text
    assert "✅ Даю согласие" in replies[0].flat_buttons
