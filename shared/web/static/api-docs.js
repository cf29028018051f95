// Starts Swagger UI on the API documentation page. A file of its own, not an inline script, so
// the page keeps the same Content-Security-Policy as every other page (scripts from 'self' only).
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    // Swagger UI would otherwise send the whole schema to a validator on another host.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});
