// Starts Swagger UI on /docs from a file rather than an inline script, so the page's Content-Security-Policy
// can forbid inline scripts; the OpenAPI URL comes from the page (it knows the app's root path).
(function () {
  const target = document.getElementById("swagger-ui");
  if (!target || typeof SwaggerUIBundle === "undefined") return;
  window.launchgapSwagger = SwaggerUIBundle({
    url: target.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
