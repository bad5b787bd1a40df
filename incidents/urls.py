from django.urls import path

app_name = "incidents"

# Each part adds its routes in its own block; keep the blocks apart.
urlpatterns = []
