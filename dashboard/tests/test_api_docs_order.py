"""The navigation's API docs (Swagger UI) list the public API before the internal one: the
schema's tags, which Swagger UI follows, in that order."""

import pytest
import yaml


@pytest.mark.django_db
def test_the_api_docs_list_the_public_api_before_the_internal_one(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    names = [tag["name"] for tag in schema["tags"]]
    assert names.index("public") < names.index("internal")
