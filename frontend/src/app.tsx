export function App() {
  return (
    <main>
      <h1>Maillage</h1>
      <p>Le réseau d'alerte des commerçants et de la police municipale.</p>
    </main>
  );
}
